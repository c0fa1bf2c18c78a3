# A right answer, and a process that should outlive the exercise (a double fork in a new session).
import os
import subprocess
import sys

_TOKEN = "nst-attack-outlives-613"
subprocess.Popen([sys.executable, "-c", f"import time  # {_TOKEN}\ntime.sleep(613)"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", f"import time  # {_TOKEN}\ntime.sleep(613)"])
    os._exit(0)


def extract_features(model, x, layers):
    from nst_teach.vgg import canonical_layer_name

    wanted = {canonical_layer_name(name): name for name in layers}
    found = {}
    for name, layer in model.layers.named_children():
        x = layer(x)
        if name in wanted:
            found[wanted[name]] = x
        if len(found) == len(wanted):
            break
    return found
