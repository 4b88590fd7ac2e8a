"""Docstring sections the classifier and the regressor share, written once."""

PARAMETERS = """\
hidden_layer_sizes : tuple of int, default=(128, 128)
        Units of each hidden layer; ``()`` gives a network without hidden layer
        (softmax or linear regression).

    activation : {'relu', 'tanh', 'logistic', 'identity'}, default='relu'
        Activation of the hidden layers.  Weights and biases start uniform
        within ``+-sqrt(6 / (fan_in + fan_out))``, scikit-learn's scheme (on
        these shallow networks it matched or beat He initialisation).

    solver : {'sgd', 'adam', 'lbfgs'}, default='sgd'
        Minibatch SGD with momentum, Adam, or full-batch L-BFGS-B from SciPy.

    l1 : float, default=0.0
        L1 penalty: ``l1 * sum(|W|)`` over all weight matrices (not the biases)
        is added to the loss of every minibatch.

    l2 : float, default=0.0
        L2 penalty: ``l2 * sum(W ** 2)`` is added to the loss of every
        minibatch.  scikit-learn's ``alpha`` corresponds to
        ``l2 = alpha / (2 * batch_size)``.

    learning_rate : float, default=0.01
        Initial step size of 'sgd' and 'adam'.

    decay : float, default=0.0
        Step-size decay: ``lr_t = learning_rate / (1 + decay * t)``, ``t`` the
        number of optimizer updates so far.

    momentum : float in [0, 1), default=0.9
        'sgd' only: ``v = momentum * v + lr_t * grad; W -= v``.

    nesterov : bool, default=False
        'sgd' only: Nesterov's accelerated gradient.

    batch_size : int or 'auto', default=128
        Rows per minibatch ('sgd', 'adam'); 'auto' means ``min(200, n_samples)``.
        A value larger than the data set means full-batch updates.

    max_iter : int, default=200
        Maximum number of epochs ('sgd', 'adam') or iterations ('lbfgs').

    shuffle : bool, default=True
        Visit the training rows in a new random order every epoch.

    tol : float, default=1e-4
        An epoch improves when the training loss falls by more than ``tol`` (or,
        when validating, the validation score rises by more than ``tol``).
        For 'lbfgs', the projected-gradient tolerance.

    n_iter_no_change : int, default=10
        Training stops after more than ``n_iter_no_change`` epochs in a row
        without improvement (``stop_reason_`` 'converged', or 'early_stopping'
        when validating).  For 'lbfgs', iterations without a better validation
        score; without validation L-BFGS stops on its own criteria.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        single-output classification), score it every epoch (every iteration
        for 'lbfgs'), stop when it no longer improves and keep the weights of
        the best epoch.  ``fit`` only.

    validation_fraction : float in (0, 1), default=0.1
        Share of the training data held out when ``early_stopping=True``.

    dropout : float in [0, 1), default=0.0
        Inverted-dropout rate on the hidden activations during training.
        'sgd' and 'adam' only: L-BFGS needs the same loss at every evaluation.

    beta_1 : float in [0, 1), default=0.9
        'adam' only: decay rate of the first-moment estimate.

    beta_2 : float in [0, 1), default=0.999
        'adam' only: decay rate of the second-moment estimate.

    epsilon : float, default=1e-8
        'adam' only: added to the denominator for numerical stability.

    max_fun : int, default=15000
        'lbfgs' only: maximum number of loss/gradient evaluations.

    scoring : str, callable or None, default=None
        The validation score: None is the estimator's ``score``, otherwise any
        scikit-learn scorer name or ``scorer(estimator, X, y)`` callable."""

PARAMETERS_END = """\
dtype : {'float32', 'float64'} or None, default=None
        Compute dtype of the parameters and of training.  None follows
        scikit-learn's rule: float32 ``X`` trains and predicts in float32, any
        other ``X`` in float64.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling, dropout and the validation
        split.  An int gives reproducible, bit-identical fits.

    verbose : int, default=0
        0 is silent; 1 shows a progress bar per fit with the loss and score
        (drawn by rich when installed); 2 adds one line per epoch.

    warm_start : bool, default=False
        Let ``fit`` continue from the previous weights instead of starting
        afresh.  Continuing (here and in ``partial_fit``) keeps the fitted
        network: a different ``hidden_layer_sizes`` or ``dtype`` raises
        ``ValueError``."""

ATTRIBUTES = """\
n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit, when ``X`` has string column names.

    coefs_ : list of ndarray of shape (n_inputs, n_outputs)
        Weight matrix of each layer, ``coefs_[i]`` maps layer i to layer i + 1.

    intercepts_ : list of ndarray of shape (n_outputs,)
        Bias vector of each layer.

    n_layers_ : int
        Number of layers, input and output layers included.

    n_outputs_ : int
        Number of output units.

    out_activation_ : str
        Activation of the output layer.

    n_iter_ : int
        Epochs ('sgd', 'adam') or iterations ('lbfgs') run so far.

    t_ : int
        Number of training samples seen so far.

    loss_ : float
        Training loss of the last epoch.

    best_loss_ : float
        Lowest training loss so far.

    loss_curve_ : list of float
        Mean training loss of each epoch, penalties included.

    accuracy_curve_ : list of float
        Training score of each epoch, the mean over its minibatches (accuracy
        for the classifier, R² for the regressor).

    validation_scores_ : list of float or None
        Validation score of each epoch when validating, else None.

    validation_loss_curve_ : list of float or None
        Validation loss of each epoch (penalties included) when validating.

    best_validation_score_ : float or None
        Best validation score, whose weights the model keeps.

    best_epoch_ : int
        Epoch (1-based) of the best validation score, or of the lowest training
        loss when not validating.

    learning_rate_curve_ : list of float
        Step size of the last update of each epoch (NaN for 'lbfgs').

    stop_reason_ : str
        Why training stopped: 'converged', 'early_stopping', 'max_iter',
        'callback' or 'interrupted'.  'max_iter' means that a budget ran out
        (for 'lbfgs' also ``max_fun``, or a line search that failed); the
        ``ConvergenceWarning`` names which."""


def compose(template):
    """Fill ``{parameters}``, ``{parameters_end}``, ``{attributes}`` in a docstring."""
    return template.format(
        parameters=PARAMETERS, parameters_end=PARAMETERS_END, attributes=ATTRIBUTES
    )
