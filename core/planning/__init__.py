"""Planning without a database: migration waves (`waves.plan_waves`) and 6R dispositions (`sixr.assess`).

Plain data in, plain data out; the planning phase reads move groups, dependencies, tech-debt
findings and the consultant's decisions from the database and hands them here. OR-Tools is
imported only while a plan is solved (`core.planning.solver`), never at start-up.
"""

from core.planning.model import (
    BrokenDependency,
    Dependency,
    GroupSplit,
    LockedWave,
    MoveGroup,
    Placement,
    Server,
    Wave,
    WaveCalendar,
    WaveLimits,
    WavePlan,
    application_names,
)
from core.planning.waves import plan_waves

__all__ = [
    "BrokenDependency",
    "Dependency",
    "GroupSplit",
    "LockedWave",
    "MoveGroup",
    "Placement",
    "Server",
    "Wave",
    "WaveCalendar",
    "WaveLimits",
    "WavePlan",
    "application_names",
    "plan_waves",
]
