"""numpy's and torch's ready-made answers to an exercise earn 0 for the function that uses them, and say why.

The grading modules list them among an exercise's references (`nst_teach.grading.referee`); ordinary
operations (@, sum, mean, einsum) stay allowed. The named mistakes themselves are tested for every
catalogue entry in test_grading.py (each against a hand-written wrong answer in tests/wrong/).
"""

from pathlib import Path

import pytest

from nst_teach import grading
from nst_teach.grading.inputs import Inputs

SOLUTIONS_DIR = Path(__file__).parent / "solutions"
EXERCISES = grading.exercises()


@pytest.fixture(scope="module")
def inputs():
    return Inputs()


def _write(folder, exercise, source):
    for spec in EXERCISES.values():  # every solution, then the student's file under test
        (folder / spec.file).write_text((SOLUTIONS_DIR / spec.file).read_text())
    (folder / EXERCISES[exercise].file).write_text(source)


EX03_OWN = (SOLUTIONS_DIR / "ex03_gram.py").read_text()
READY_MADE = {
    # (exercise, source, the student's function that loses its points, what the message names)
    "np.cov": ("ex03", EX03_OWN + "\ndef covariance_matrix(F):\n    return np.cov(F)\n", "covariance_matrix", "numpy.cov"),
    "np.corrcoef": ("ex03", EX03_OWN + "\ndef correlation_matrix(F):\n    return np.corrcoef(F)\n", "correlation_matrix",
                    "numpy.corrcoef"),
    "from numpy import cov": ("ex03", EX03_OWN + "\nfrom numpy import cov as covariance_matrix\n", "covariance_matrix",
                              "numpy.cov"),
    "torch.cov": ("ex03", EX03_OWN + "\nimport torch\ndef covariance_matrix(F):\n"
                          "    return torch.cov(torch.from_numpy(F)).numpy()\n", "covariance_matrix", "torch.cov"),
    "Tensor.corrcoef": ("ex03", EX03_OWN + "\nimport torch\ndef correlation_matrix(F):\n"
                                "    return torch.from_numpy(F).corrcoef().numpy()\n", "correlation_matrix",
                        "torch.Tensor.corrcoef"),
    "F.mse_loss": ("ex04", "import torch.nn.functional as F\ndef content_loss(X, P):\n"
                           "    return 0.5 * F.mse_loss(X, P, reduction='sum')\n", "content_loss", "torch.nn.functional.mse_loss"),
    "nn.MSELoss": ("ex04", "import torch\ndef content_loss(F, P):\n"
                           "    return 0.5 * torch.nn.MSELoss(reduction='sum')(F, P)\n", "content_loss",
                   "torch.nn.functional.mse_loss"),
    "torch.optim.SGD": ("ex06", (SOLUTIONS_DIR / "ex06_gradient_descent.py").read_text() +
                        "\ndef gradient_descent(loss_fn, x0, lr, steps):\n    x = x0.clone().requires_grad_(True)\n"
                        "    opt, losses = torch.optim.SGD([x], lr=lr), []\n    for _ in range(steps):\n"
                        "        opt.zero_grad()\n        loss = loss_fn(x)\n        losses.append(loss.item())\n"
                        "        loss.backward()\n        opt.step()\n    return x.detach(), losses\n",
                        "gradient_descent", "torch.optim.SGD.step"),
}


@pytest.mark.parametrize("exercise, source, function, named", READY_MADE.values(), ids=list(READY_MADE))
def test_a_ready_made_numpy_or_torch_answer_earns_0_and_says_why(exercise, source, function, named, tmp_path, inputs):
    import numpy as np
    import torch

    cov, tensor_attrs = np.cov, set(vars(torch.Tensor))
    _write(tmp_path, exercise, source)
    record = grading.grade_here(tmp_path, exercise, inputs)
    refused = [d for d in record.details if d["mistake"] == "reference"]
    assert refused and all(d["points"] == 0 for d in refused), record.details
    message = refused[0]["message"]
    assert message.startswith(f"{function} calls {named}, ") and "ready-made" in message and "write it yourself" in message
    assert record.points < record.max_points
    # The ready-made answer gives the right numbers: only the referee stops it. Other functions keep their points.
    others = [d for d in record.details if d["mistake"] != "reference"]
    assert all(d["passed"] for d in others), record.details
    assert np.cov is cov and set(vars(torch.Tensor)) == tensor_attrs  # everything put back


def test_ordinary_operations_stay_allowed(tmp_path, inputs):
    """einsum, mean, sum, outer, sqrt: a covariance written from them is the student's own."""
    source = ("import numpy as np\n"
              "def gram_matrix(F):\n    return np.einsum('ik,jk->ij', F, F)\n"
              "def covariance_matrix(F):\n    Fc = F - F.mean(axis=1, keepdims=True)\n"
              "    return np.einsum('ik,jk->ij', Fc, Fc) / (F.shape[1] - 1)\n"
              "def correlation_matrix(F):\n    C = covariance_matrix(F)\n    d = np.sqrt(np.diag(C))\n"
              "    with np.errstate(all='ignore'):\n        return C / np.outer(d, d)\n")
    _write(tmp_path, "ex03", source)
    record = grading.grade_here(tmp_path, "ex03", inputs)
    assert (record.status, record.points) == ("pass", record.max_points), record.details


@pytest.mark.parametrize("source", [
    "import numpy as np\ndef covariance_matrix(F):\n    Fc = F - F.mean()\n    return Fc @ Fc.T / (F.shape[1] - 1)\n",
    "import numpy as np\ndef covariance_matrix(F):\n    return (F - np.mean(F)) @ (F - np.mean(F)).T / (F.shape[1] - 1)\n",
], ids=["method", "function"])
def test_the_global_mean_covariance_is_named(source, tmp_path, inputs):
    _write(tmp_path, "ex03", EX03_OWN + "\n" + source)
    record = grading.grade_here(tmp_path, "ex03", inputs)
    details = {d["check"]: d for d in record.details}
    cov = details["covariance: lecture, random, VGG-19"]
    assert cov["mistake"] == "cov_global_mean" and "one global mean" in cov["message"], cov


def test_every_exercise_names_at_least_seven_mistakes():
    """Each exercise's catalogue holds the mistakes students make most (each with a wrong answer in tests/wrong/)."""
    counts = {e: len(spec.mistakes) for e, spec in EXERCISES.items()}
    assert all(n >= 7 for n in counts.values()), counts
