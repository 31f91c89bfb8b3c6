"""Finding papers: the sources polled (feeds.yaml), polite capped fetching, parsing bytes to Paper values,
identity and dedupe, relevance scoring, and one poll of a feed into stored papers (`poll.Intake`)."""
