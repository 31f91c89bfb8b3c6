"""Deciding papers: the state machine (votes, approve, reject, expire), the neutral posts maintainers see, the
daily digest, who counts as a maintainer, and the maintainers' commands in the /interp grammar."""
