"""Continuous backup, snapshots, point-in-time restores, clones and backtrack.

| module        | role                                                              |
|---------------|-------------------------------------------------------------------|
| history.py    | commit times of a volume: which LSN a point in time means         |
| compact.py    | a self-contained copy of a volume's state at an LSN               |
| snapshot.py   | Snapshot values and their creation                                |
| restore.py    | new clusters from snapshots, points in time, clones               |
| backtrack.py  | rewinding a cluster in place, back and forth                      |
"""
