"""Paper intake: feeds.yaml sources, polite fetching, parsing to Paper values, identity and dedupe."""
