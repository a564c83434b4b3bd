from bench.payments.cli import main

if __name__ == "__main__":  # spawned client processes import this module too
    raise SystemExit(main())
