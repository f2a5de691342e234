"""Which replica of a fleet gets each request.

- "round-robin": replicas in turn, whatever they hold.
- "least-tokens": the replica with the fewest outstanding tokens (prompt + output tokens of the
  requests it holds and has not finished), as llm-d's and SGLang router's load-aware policies;
  ties go to the lowest-numbered replica.
- "session": session affinity, every request of a session on the replica its first request went
  to (so a prefix cache there can reuse the conversation); requests without a session (-1), and
  a session's first request, go by least tokens.
"""

from __future__ import annotations

from wafersim.errors import ParameterError

ROUTERS = ("round-robin", "least-tokens", "session")


class Router:
    """Picks a replica per request and keeps each replica's outstanding tokens."""

    def __init__(self, policy: str, replicas: int) -> None:
        if policy not in ROUTERS:
            raise ParameterError("router", policy, "{router!r} is not a router; give one of "
                                 f"{', '.join(ROUTERS)}", allowed=", ".join(ROUTERS))
        if replicas < 1:
            raise ParameterError("replicas", replicas, "{replicas} must be at least 1 replica",
                                 allowed=">= 1")
        self.policy, self.replicas = policy, replicas
        self.outstanding = [0] * replicas  # tokens of unfinished requests, per replica
        self.sessions: dict[int, int] = {}
        self._next = 0

    def pick(self, tokens: int, session: int = -1) -> int:
        """The replica for a request of `tokens` prompt + output tokens; counts them there."""
        if self.policy == "round-robin":
            choice = self._next
            self._next = (choice + 1) % self.replicas
        elif self.policy == "session" and session >= 0:
            choice = self.sessions.get(session, -1)
            if choice < 0:
                choice = self.sessions[session] = self._least()
        else:
            choice = self._least()
        self.outstanding[choice] += tokens
        return choice

    def turn(self, replica: int) -> int:
        """Requests that will be sent to other replicas before `replica` can get one (while it
        neither gets nor finishes one: the others' outstanding tokens only fall meanwhile).
        Round-robin: until its turn. Least-tokens: each replica ahead of it now (fewer tokens, or
        as few and a lower number) takes at least one of them, as it stays ahead until then.
        Session: none known (the next request may belong to one of its sessions)."""
        if self.policy == "round-robin":
            return (replica - self._next) % self.replicas
        if self.policy == "session":
            return 0
        out = self.outstanding
        mine = out[replica]
        return sum(map(mine.__gt__, out)) + out[:replica].count(mine)

    def done(self, replica: int, tokens: int) -> None:
        """A request of `tokens` tokens finished on `replica`."""
        self.outstanding[replica] -= tokens

    def _least(self) -> int:
        out = self.outstanding
        return out.index(min(out))
