"""Models: the credit scorecard and its gradient-boosted challenger, the fraud model, the
registry of trained artifacts, training and evaluation."""
