def content_loss(F, P):
    buffer = bytearray(20 * 2**30)  # 20 GB
    return buffer
