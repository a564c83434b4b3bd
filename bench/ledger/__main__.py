from bench.ledger.cli import main

raise SystemExit(main())
