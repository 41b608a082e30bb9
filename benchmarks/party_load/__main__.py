from benchmarks.party_load.run import main

if __name__ == "__main__":
    raise SystemExit(main())
