"""``python -m aurora_lite.sim``: run seeds of the fault-schedule simulation.

    python -m aurora_lite.sim --seeds 200            # short mode (CI)
    python -m aurora_lite.sim --seeds 5000 --long    # long mode
    python -m aurora_lite.sim --seed 1234            # rerun one seed, print its trace
    python -m aurora_lite.sim --seeds 200 --bug quorum3   # must find the deliberate bug
    python -m aurora_lite.sim --repair               # repair (hydration) time vs segment size
"""
from __future__ import annotations

import argparse
import sys

from .bugs import BUGS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aurora_lite.sim", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=200, help="how many seeds to run (default 200)")
    parser.add_argument("--first", type=int, default=1, help="first seed (default 1)")
    parser.add_argument("--seed", type=int, help="run this one seed and print its trace")
    parser.add_argument("--long", action="store_true", help="long schedules (the 5,000-seed mode)")
    parser.add_argument("--steps", type=int, help="schedule length (default: drawn from the seed)")
    parser.add_argument("--storage", choices=("memory", "disk"), help="override the seed's storage (--seed)")
    parser.add_argument("--threaded", action="store_true", help="a threaded run (--seed)")
    parser.add_argument("--bug", choices=sorted(BUGS), help="switch on a deliberate bug (tests the tester)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--no-regressions", action="store_true", help="do not replay the regression list first")
    parser.add_argument("--stop", action="store_true", help="stop at the first failing seed")
    parser.add_argument("--shrink", action="store_true", help="with --seed: print the shortest failing prefix")
    parser.add_argument("--repair", action="store_true", help="measure repair time against segment size")
    parser.add_argument("--quiet", action="store_true", help="print only the summary and failures")
    args = parser.parse_args(argv)

    if args.repair:
        from .repair import main as repair_main

        return repair_main()
    if args.seed is not None:
        from .runner import run_seed

        result = run_seed(args.seed, long=args.long, steps=args.steps, bug=args.bug, storage=args.storage,
                          threaded=True if args.threaded else None)
        print("\n".join(result.trace))
        print(f"{'OK' if result.ok else 'FAILED'} seed {args.seed} in {result.seconds:.2f}s; "
              f"trace digest {result.digest}")
        for violation in result.violations:
            print(f"VIOLATION {violation}")
        if args.shrink and not result.ok:
            from .runner import shrink

            small = shrink(args.seed, bug=args.bug, long=args.long, storage=args.storage,
                           threaded=True if args.threaded else None)
            if small is not None:
                print(f"\nshortest failing prefix: {small.config.steps} steps")
                print(small.report())
        return 0 if result.ok else 1

    from .campaign import run_campaign, run_parallel

    def progress(result) -> None:
        if not result.ok:
            print(result.report(), flush=True)
        elif not args.quiet:
            print(f"seed {result.config.seed} ok {result.seconds:.2f}s "
                  f"({result.config.engine}/{result.config.storage}, {result.acked} acked, "
                  f"{sum(result.faults.values())} faults)", flush=True)

    seeds = range(args.first, args.first + args.seeds)
    if args.jobs > 1:
        campaign = run_parallel(seeds, jobs=args.jobs, long=args.long, steps=args.steps, bug=args.bug,
                                replay_regressions=not args.no_regressions, progress=progress)
    else:
        campaign = run_campaign(seeds, long=args.long, steps=args.steps, bug=args.bug,
                                replay_regressions=not args.no_regressions, stop_on_failure=args.stop,
                                progress=progress)
    print(campaign.summary())
    return 1 if campaign.failures else 0


if __name__ == "__main__":
    sys.exit(main())
