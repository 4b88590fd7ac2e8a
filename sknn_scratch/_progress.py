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
    from rich.text import Text
except ImportError:  # pragma: no cover - exercised when rich is absent
    Progress = None
else:

    class _MetricsBelowProgress(Progress):
        """rich's progress bar with each task's metrics on the line below it.

        In one row, four metrics and the bar need about 120 columns; on an
        80-column terminal (or in a log, where rich assumes 80) rich would drop
        the bar and cut the metrics short.  Below it, they wrap instead.
        """

        def get_renderables(self):
            yield self.make_tasks_table(self.tasks)
            for task in self.tasks:
                if task.fields.get("metrics"):
                    yield Text("  " + task.fields["metrics"])


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
    console : rich.console.Console, default=None
        Where rich draws; None: rich's own console (standard output).
    """

    def __init__(self, total, verbose, description, use_rich=True, console=None):
        self.total = total
        self.verbose = verbose
        self.description = description
        self._progress = None
        self._task = None
        if verbose and use_rich and Progress is not None:
            self._progress = _MetricsBelowProgress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
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
