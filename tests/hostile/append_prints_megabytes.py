

_preprocess = preprocess


def preprocess(img):
    print("debug " * 1_500_000)  # 9 MB on every call
    return _preprocess(img)
