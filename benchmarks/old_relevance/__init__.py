"""The relevance model interp-bot shipped before issue 11 (a hand-weighted lexicon plus naive Bayes on titles),
kept unchanged as a baseline for `python -m benchmarks relevance`. The bot no longer uses it."""
