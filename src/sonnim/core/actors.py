"""Who did it: every service takes an Actor so that each event names its author."""

from dataclasses import dataclass

from .choices import ActorKind


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: int | None = None

    @classmethod
    def agent(cls, agent) -> "Actor":
        return cls(ActorKind.AGENT, agent.pk)

    @classmethod
    def customer(cls, customer) -> "Actor":
        return cls(ActorKind.CUSTOMER, customer.pk)


SYSTEM = Actor(ActorKind.SYSTEM)
BOT = Actor(ActorKind.BOT)
