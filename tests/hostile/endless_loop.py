def gram_matrix(F):
    while True:
        pass


covariance_matrix = correlation_matrix = gram_matrix
