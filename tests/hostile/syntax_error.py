def preprocess(img:
    return img
