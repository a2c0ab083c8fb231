"""`python -m bench`: the query benchmark suite (bench/run.py)."""

import asyncio

from bench.run import main

if __name__ == "__main__":
    asyncio.run(main())
