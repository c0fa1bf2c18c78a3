def content_loss(F, P):
    return 0.5 * ((F - P) ** 2).sum()
