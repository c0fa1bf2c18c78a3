"""The first cell of every lesson: figures inline, and one line saying what the notebook runs on.

Every lesson starts with a cell like this one::

    import torch
    import nst_teach as nt
    from nst_teach import viz

    nt.lesson_setup()

The line it prints names the folder nst_teach was imported from: a second, stale copy installed
elsewhere is the usual reason a lesson and the library disagree, and this is where it shows.
"""

from pathlib import Path

import torch

from . import speed
from .vgg import default_device


def lesson_setup():
    """Prepare a lesson notebook and print one line about it; returns what it printed, as a dict.

    In IPython (Jupyter, nbclient) it shows matplotlib figures inline, as ``%matplotlib inline``
    does; outside IPython it changes nothing. Keys: nst_teach (the package's folder), torch (its
    version), device ('cuda' or 'cpu'), threads (torch's intra-op threads), precision (the network's
    with the default ``speed``: 'bf16' where the hardware runs it, else 'fp32'; 'plain': 'fp32').
    """
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to set up
        shell = None
    else:
        shell = get_ipython()
    if shell is not None:
        shell.run_line_magic("matplotlib", "inline")
    device = default_device()
    facts = dict(nst_teach=str(Path(__file__).resolve().parent), torch=torch.__version__, device=device.type,
                 threads=torch.get_num_threads(), precision=speed.network_precision("auto", device))
    threads = f"{facts['threads']} thread" + ("s" if facts["threads"] != 1 else "")
    print(f"nst_teach from {facts['nst_teach']} · torch {facts['torch']} · {facts['device']}, {threads} · "
          f"network in {facts['precision']}")
    return facts
