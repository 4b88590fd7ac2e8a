"""Progress display for ``verbose=1`` (a bar) and ``verbose=2`` (a line per epoch).

rich draws the bar when it is installed (the ``progress`` extra, the same
library scikit-learn's ``ProgressBar`` callback uses); otherwise a plain text
line is rewritten in place.
"""

import sys

try:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )
except ImportError:  # pragma: no cover - exercised when rich is absent
    Progress = None


def _format(metrics):
    return "  ".join(
        f"{name} {value:.4f}" if isinstance(value, float) else f"{name} {value}"
        for name, value in metrics.items()
    )


class EpochProgress:
    """Report training progress epoch by epoch.

    Parameters
    ----------
    total : int
        Maximum number of epochs (the bar's length).
    verbose : int
        0 silent, 1 a progress bar, 2 a bar plus one line per epoch.
    description : str
        Label in front of the bar.
    use_rich : bool, default=True
        Draw with rich when it is installed.
    """

    def __init__(self, total, verbose, description, use_rich=True):
        self.total = total
        self.verbose = verbose
        self.description = description
        self._progress = None
        self._task = None
        if verbose and use_rich and Progress is not None:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[metrics]}"),
                TimeElapsedColumn(),
            )
            self._task = self._progress.add_task(description, total=total, metrics="")
            self._progress.start()

    def update(self, epoch, metrics):
        """Show that ``epoch`` (1-based) finished with ``metrics`` (name -> value)."""
        if not self.verbose:
            return
        text = _format(metrics)
        if self._progress is not None:
            self._progress.update(self._task, completed=epoch, metrics=text)
            if self.verbose >= 2:
                self._progress.console.print(f"epoch {epoch}  {text}")
        elif self.verbose >= 2:
            print(f"{self.description}: epoch {epoch}/{self.total}  {text}", flush=True)
        else:
            sys.stdout.write(
                f"\r{self.description}: epoch {epoch}/{self.total}  {text}"
            )
            sys.stdout.flush()

    def close(self):
        """Stop drawing; the final state stays on screen."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        elif self.verbose == 1:
            sys.stdout.write("\n")
            sys.stdout.flush()
