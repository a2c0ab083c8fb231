"""`python -m bench`: the query benchmark suite (bench/run.py)."""

import asyncio
import signal

from bench.run import main


async def until_done() -> None:
    """main(), cancelled (so that its databases are dropped) on SIGTERM as on Ctrl-C."""
    task = asyncio.create_task(main())
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    await task


if __name__ == "__main__":
    asyncio.run(until_done())
