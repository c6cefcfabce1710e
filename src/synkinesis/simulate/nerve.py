"""Axon-level model of facial-nerve injury and regrowth, and the drive it gives each muscle.

Model (one side; all randomness through ``rng``)
-----------------------------------------------
- A side has ``n_axons`` motor axons. Each serves one muscle (its *pool*: the central command
  for that muscle reaches it) through one branch; counts per muscle follow
  :data:`~synkinesis.simulate.anatomy.MUSCLE_AXON_SHARE`, branches follow
  :data:`~synkinesis.simulate.anatomy.BRANCH_MUSCLE_WEIGHTS`. A healthy muscle's fibres are
  shared equally by its own axons, so healthy drive is the identity.
- An :class:`Injury` at a site (``"proximal"``, as in Bell's palsy, or a branch) makes a
  fraction ``severity`` of the axons passing the site degenerate; the others are only blocked
  for ``conduction_block_days``.
- Each degenerated axon regrows unless it is among the ``non_reaching`` fraction, and sends
  ``1 + Poisson(collateral_sprouts)`` sprouts (collateral branching at the lesion). Each sprout
  returns to the axon's own muscle, or with probability ``misrouting`` enters a wrong one: any
  muscle (in proportion to its axon count) after a proximal lesion, where fibres mix across
  branches; a muscle of the injured branch after a branch lesion.
- A sprout reaches its muscle after ``delay + path / rate`` days (log-normal jitter) and
  matures linearly over ``maturation_days``.
- In each muscle, surviving axons keep their fibres; arriving sprouts share the denervated
  fibres (each claims one normal motor unit, fewer if oversubscribed); fibres left over are
  adopted by *terminal sprouting* of every connected axon, up to ``terminal_sprouting`` times
  its normal unit. Fibre shares never exceed 1, so drive and activation stay in 0..1.
- Misrouted connections also give a resting tone (hypertonicity), ``resting_tone_gain`` times
  the misrouted share of the muscle [assumption].

This is a snapshot model: fibre competition is resolved at each date, not as a history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from synkinesis.regions import SIDES
from synkinesis.simulate.anatomy import (
    BRANCHES,
    MUSCLE_AXON_SHARE,
    MUSCLE_PATH_LENGTH_MM,
    MUSCLES,
    Parameter,
    branch_muscle_matrix,
)
from synkinesis.simulate.treatments import (
    Myectomy,
    NerveBlock,
    Neurectomy,
    Retraining,
    Toxin,
    Treatment,
)

__all__ = [
    "DriveState",
    "Injury",
    "Nerve",
    "RegrowthParameters",
    "SITES",
    "SideWiring",
    "drive_at",
    "regenerate",
]

#: Injury sites: a proximal lesion (intratemporal, as in Bell's palsy) or one branch.
SITES: tuple[str, ...] = ("proximal", *BRANCHES)

N_MUSCLES = len(MUSCLES)


class ModelError(ValueError):
    """Model input out of range (one line naming the value and the allowed range)."""


@dataclass(frozen=True)
class Injury:
    """A facial-nerve injury on one side.

    Attributes
    ----------
    side : {"left", "right"}
        The patient's side.
    site : str
        ``"proximal"`` or a branch of :data:`~synkinesis.simulate.anatomy.BRANCHES`.
    severity : float
        Fraction (0..1) of the axons passing the site that degenerate (the rest recover
        after a conduction block).
    """

    side: str
    site: str = "proximal"
    severity: float = 0.8

    def validate(self) -> None:
        if self.side not in SIDES:
            raise ModelError(f"unknown side {self.side!r}; expected one of left, right")
        if self.site not in SITES:
            raise ModelError(f"unknown injury site {self.site!r}; expected one of "
                             f"{', '.join(SITES)}")
        if not 0.0 <= self.severity <= 1.0:
            raise ModelError(f"injury severity must be in 0..1, got {self.severity}")


#: Source and unit of each :class:`RegrowthParameters` field (documentation and outputs).
PARAMETER_INFO: dict[str, Parameter] = {
    "n_axons": Parameter(7000, "axons per side", "U", "~7,000 facial motor fibres"),
    "misrouting": Parameter(0.7, "probability", "assumption",
                            "share of sprouts entering a wrong fascicle; a proximal lesion "
                            "mixes fibres across branches [V]; the share is unknown in humans"),
    "collateral_sprouts": Parameter(1.5, "sprouts per regrowing axon (Poisson mean)",
                                    "assumption", "collateral branching at the lesion"),
    "terminal_sprouting": Parameter(3.0, "x normal motor-unit size", "assumption",
                                    "largest enlargement of a motor unit by terminal sprouting"),
    "non_reaching": Parameter(0.15, "fraction", "assumption",
                              "regrowing axons that never reach a muscle (neuroma, scar)"),
    "regrowth_mm_per_day": Parameter(1.5, "mm/day", "U", "regrowth ~1..2 mm/day"),
    "regrowth_delay_days": Parameter(20.0, "days", "assumption",
                                     "before sprouts cross the lesion"),
    "proximal_extra_mm": Parameter(30.0, "mm", "assumption",
                                   "intratemporal path from a proximal lesion to the "
                                   "stylomastoid foramen"),
    "branch_lesion_fraction": Parameter(0.5, "fraction of the path", "assumption",
                                        "a branch lesion lies half way to the muscle"),
    "maturation_days": Parameter(60.0, "days", "assumption",
                                 "new connections reach full strength; with the above, "
                                 "synkinesis appears ~3..6 months after injury [U]"),
    "conduction_block_days": Parameter(21.0, "days", "assumption",
                                       "recovery of axons that did not degenerate"),
    "arrival_jitter": Parameter(0.15, "log-normal sigma", "assumption",
                                "spread of arrival times"),
    "resting_tone_gain": Parameter(0.15, "activation per misrouted fibre share", "assumption",
                                   "resting hypertonicity of misrouted muscles"),
}


@dataclass(frozen=True)
class RegrowthParameters:
    """Parameters of the regrowth model; see :data:`PARAMETER_INFO` for units and sources."""

    n_axons: int = 7000
    misrouting: float = 0.7
    collateral_sprouts: float = 1.5
    terminal_sprouting: float = 3.0
    non_reaching: float = 0.15
    regrowth_mm_per_day: float = 1.5
    regrowth_delay_days: float = 20.0
    proximal_extra_mm: float = 30.0
    branch_lesion_fraction: float = 0.5
    maturation_days: float = 60.0
    conduction_block_days: float = 21.0
    arrival_jitter: float = 0.15
    resting_tone_gain: float = 0.15

    def validate(self) -> None:
        """Raise :class:`ModelError` for a value out of its range."""
        ranges = {
            "n_axons": (100, 100_000), "misrouting": (0.0, 1.0), "collateral_sprouts": (0.0, 10.0),
            "terminal_sprouting": (1.0, 10.0), "non_reaching": (0.0, 1.0),
            "regrowth_mm_per_day": (0.1, 10.0), "regrowth_delay_days": (0.0, 365.0),
            "proximal_extra_mm": (0.0, 200.0), "branch_lesion_fraction": (0.0, 1.0),
            "maturation_days": (1.0, 730.0), "conduction_block_days": (0.0, 365.0),
            "arrival_jitter": (0.0, 2.0), "resting_tone_gain": (0.0, 1.0),
        }
        for name, (low, high) in ranges.items():
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value)
                    and low <= value <= high):
                unit = PARAMETER_INFO[name].unit
                raise ModelError(f"{name} must be in {low}..{high} ({unit}), got {value}")

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class SideWiring:
    """All motor connections of one side.

    Axon arrays have shape (A,), connection arrays shape (K,); muscle, pool and branch values
    index :data:`MUSCLES` and :data:`BRANCHES`.

    Attributes
    ----------
    pool_size : (16,) int array
        Healthy number of axons of each muscle (one motor unit each).
    conn_pool : (K,) int array
        Muscle whose central command drives the connection's axon.
    conn_muscle : (K,) int array
        Muscle the connection innervates.
    conn_branch : (K,) int array
        Branch it travels through (what a block or neurectomy cuts).
    conn_regrown : (K,) bool array
        True for sprouts of degenerated axons.
    conn_ready_day : (K,) float array, days since injury
        Day it conducts (0 for untouched axons).
    """

    pool_size: np.ndarray
    conn_pool: np.ndarray
    conn_muscle: np.ndarray
    conn_branch: np.ndarray
    conn_regrown: np.ndarray
    conn_ready_day: np.ndarray
    n_degenerated: int = 0
    n_lost: int = 0


@dataclass(frozen=True)
class Nerve:
    """Both sides' wiring after the injuries, with the parameters that made it."""

    wiring: dict[str, SideWiring]
    injuries: tuple[Injury, ...]
    parameters: RegrowthParameters


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    exact = np.asarray(weights, dtype=float) / np.sum(weights) * total
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


def healthy_axons(n_axons: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic healthy axon population of one side.

    Returns
    -------
    pool : (A,) int array, muscle index of each axon
    branch : (A,) int array, branch index of each axon
    pool_size : (16,) int array
    """
    shares = np.array([MUSCLE_AXON_SHARE[m].value for m in MUSCLES])
    pool_size = _largest_remainder(shares, n_axons)
    weights = branch_muscle_matrix()
    pool, branch = [], []
    for m in range(N_MUSCLES):
        pool.append(np.full(pool_size[m], m))
        branch.append(np.repeat(np.arange(len(BRANCHES)),
                                _largest_remainder(weights[:, m], int(pool_size[m]))))
    return np.concatenate(pool), np.concatenate(branch), pool_size


def _wrong_targets(origin: np.ndarray, site: str, rng: np.random.Generator) -> np.ndarray:
    """A wrong muscle for each misrouted sprout (origin itself where no other is reachable)."""
    shares = np.array([MUSCLE_AXON_SHARE[m].value for m in MUSCLES])
    if site != "proximal":
        shares = shares * branch_muscle_matrix()[BRANCHES.index(site)]
    out = origin.copy()
    for m in np.unique(origin):
        p = shares.copy()
        p[m] = 0.0
        if p.sum() <= 0:
            continue
        chosen = origin == m
        out[chosen] = rng.choice(N_MUSCLES, size=int(chosen.sum()), p=p / p.sum())
    return out


def _branch_of(target: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Branch a sprout regrows through after a proximal lesion (fibres mix across branches)."""
    weights = branch_muscle_matrix()
    out = np.empty_like(target)
    for m in np.unique(target):
        chosen = target == m
        out[chosen] = rng.choice(len(BRANCHES), size=int(chosen.sum()), p=weights[:, m])
    return out


def _injure(wiring: SideWiring, injury: Injury, parameters: RegrowthParameters,
            rng: np.random.Generator) -> SideWiring:
    original = ~wiring.conn_regrown
    passes = original if injury.site == "proximal" else (
        original & (wiring.conn_branch == BRANCHES.index(injury.site)))
    degenerate = passes & (rng.random(passes.shape[0]) < injury.severity)
    blocked = passes & ~degenerate
    ready = wiring.conn_ready_day.copy()
    ready[blocked] = np.maximum(ready[blocked], parameters.conduction_block_days)
    origin = wiring.conn_pool[degenerate]
    reaching = rng.random(origin.shape[0]) >= parameters.non_reaching
    origin = origin[reaching]
    sprouts = 1 + rng.poisson(parameters.collateral_sprouts, origin.shape[0])
    pool = np.repeat(origin, sprouts)
    misrouted = rng.random(pool.shape[0]) < parameters.misrouting
    target = pool.copy()
    target[misrouted] = _wrong_targets(pool[misrouted], injury.site, rng)
    if injury.site == "proximal":
        branch = _branch_of(target, rng)
        path = np.array([MUSCLE_PATH_LENGTH_MM[m].value for m in MUSCLES])[target]
        path = path + parameters.proximal_extra_mm
    else:
        branch = np.full(target.shape, BRANCHES.index(injury.site))
        path = np.array([MUSCLE_PATH_LENGTH_MM[m].value for m in MUSCLES])[target]
        path = path * parameters.branch_lesion_fraction
    jitter = np.exp(parameters.arrival_jitter * rng.standard_normal(target.shape[0]))
    arrival = parameters.regrowth_delay_days + path / parameters.regrowth_mm_per_day * jitter
    keep = ~degenerate
    return SideWiring(
        pool_size=wiring.pool_size,
        conn_pool=np.concatenate([wiring.conn_pool[keep], pool]),
        conn_muscle=np.concatenate([wiring.conn_muscle[keep], target]),
        conn_branch=np.concatenate([wiring.conn_branch[keep], branch]),
        conn_regrown=np.concatenate([wiring.conn_regrown[keep], np.ones(target.shape, bool)]),
        conn_ready_day=np.concatenate([ready[keep], arrival]),
        n_degenerated=wiring.n_degenerated + int(degenerate.sum()),
        n_lost=wiring.n_lost + int((~reaching).sum()),
    )


def regenerate(
    injuries: tuple[Injury, ...] | list[Injury] = (),
    *,
    parameters: RegrowthParameters = RegrowthParameters(),
    rng: np.random.Generator,
) -> Nerve:
    """Build both sides' wiring after ``injuries`` (all on day 0) and their regrowth.

    Each injury draws from its own child generator, taken from ``rng`` in the order given, so
    the same injury on the other side gives the mirrored wiring. A second injury of the same
    side reaches only the axons that were never cut (not the sprouts of the first).

    Parameters
    ----------
    injuries : sequence of Injury
        Empty for a healthy face.
    parameters : RegrowthParameters
    rng : numpy.random.Generator

    Returns
    -------
    Nerve
    """
    parameters.validate()
    for injury in injuries:
        injury.validate()
    pool, branch, pool_size = healthy_axons(parameters.n_axons)
    healthy = SideWiring(
        pool_size=pool_size, conn_pool=pool, conn_muscle=pool.copy(), conn_branch=branch,
        conn_regrown=np.zeros(pool.shape, bool), conn_ready_day=np.zeros(pool.shape))
    wiring = dict.fromkeys(SIDES, healthy)
    children = [np.random.default_rng(seed) for seed in
                rng.integers(0, 2**63, size=len(injuries))]
    for injury, child in zip(injuries, children):
        wiring[injury.side] = _injure(wiring[injury.side], injury, parameters, child)
    return Nerve(wiring=wiring, injuries=tuple(injuries), parameters=parameters)


@dataclass(frozen=True)
class DriveState:
    """How central commands reach the muscles of one side on one day.

    Attributes
    ----------
    drive : (16, 16) array
        ``drive[pool, muscle]``: share of the muscle's fibres (times their maturity and
        retraining gain) driven by the pool's command. Identity in a healthy face; each column
        sums to <= 1.
    tone : (16,) array
        Resting activation (0..1) of each muscle.
    output : (16,) array
        Muscle output factor after toxin and myectomy (1 = untreated).
    """

    drive: np.ndarray
    tone: np.ndarray
    output: np.ndarray

    def activation(self, command: np.ndarray) -> np.ndarray:
        """Muscle activations (0..1) for pool commands.

        Parameters
        ----------
        command : (..., 16) array, 0..1

        Returns
        -------
        (..., 16) array in 0..1
        """
        raw = self.tone + np.asarray(command, dtype=float) @ self.drive
        return np.clip(raw, 0.0, 1.0) * self.output


def drive_at(
    nerve: Nerve,
    side: str,
    day: float,
    *,
    treatments: tuple[Treatment, ...] | list[Treatment] = (),
) -> DriveState:
    """The drive of one side on ``day`` (days since injury), after ``treatments``.

    Parameters
    ----------
    nerve : Nerve
    side : {"left", "right"}
    day : float, days since the injury
    treatments : sequence of treatments (only those on ``side`` and dated <= ``day`` act)

    Returns
    -------
    DriveState
    """
    wiring = nerve.wiring[side]
    parameters = nerve.parameters
    mine = [t for t in treatments if t.side == side]
    active = wiring.conn_ready_day <= day
    for treatment in mine:
        if isinstance(treatment, NerveBlock | Neurectomy) and treatment.cuts(day):
            cut = wiring.conn_branch == BRANCHES.index(treatment.branch)
            if treatment.muscles:
                cut &= np.isin(wiring.conn_muscle, [MUSCLES.index(m) for m in treatment.muscles])
            active &= ~cut
    muscle = wiring.conn_muscle
    unit = 1.0 / wiring.pool_size[muscle]
    survivor = active & ~wiring.conn_regrown
    arrived = active & wiring.conn_regrown
    kept = np.bincount(muscle[survivor], minlength=N_MUSCLES) / wiring.pool_size
    denervated = np.clip(1.0 - kept, 0.0, 1.0)
    claimed = np.bincount(muscle[arrived], weights=unit[arrived], minlength=N_MUSCLES)
    scale = np.where(claimed > denervated, denervated / np.maximum(claimed, 1e-12), 1.0)
    base = np.where(survivor, unit, 0.0) + np.where(arrived, unit * scale[muscle], 0.0)
    unclaimed = denervated - np.minimum(claimed, denervated)
    capacity = base * (parameters.terminal_sprouting - 1.0)
    total_capacity = np.bincount(muscle, weights=capacity, minlength=N_MUSCLES)
    adopted = np.minimum(unclaimed, total_capacity)
    fraction = np.where(total_capacity > 0, adopted / np.maximum(total_capacity, 1e-12), 0.0)
    share = base + capacity * fraction[muscle]

    maturity = np.ones(share.shape)
    maturity[arrived] = np.clip((day - wiring.conn_ready_day[arrived])
                                / parameters.maturation_days, 0.0, 1.0)
    misrouted = wiring.conn_pool != muscle
    gain = np.ones(share.shape)
    for treatment in mine:
        if isinstance(treatment, Retraining):
            gain[misrouted] *= treatment.off_target_gain(day)
    strength = share * maturity * gain
    drive = np.zeros((N_MUSCLES, N_MUSCLES))
    np.add.at(drive, (wiring.conn_pool, muscle), strength)
    tone = parameters.resting_tone_gain * np.bincount(
        muscle[misrouted], weights=strength[misrouted], minlength=N_MUSCLES)
    output = np.ones(N_MUSCLES)
    for treatment in mine:
        if isinstance(treatment, Toxin | Myectomy):
            output[MUSCLES.index(treatment.muscle)] *= 1.0 - treatment.weakening(day)
    return DriveState(drive=drive, tone=tone, output=output)
