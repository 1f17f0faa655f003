"""Out of file descriptors: the proxy backs off instead of spinning, then recovers."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import asyncio, os, resource, socket, time
    from chaoslab.proxy import ProxyServer

    async def echo(reader, writer):
        while data := await reader.read(100):
            writer.write(data)
        writer.close()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)

    async def main():
        up = await asyncio.start_server(echo, "127.0.0.1", 0)
        async with ProxyServer() as server:
            proxy = await server.create("p", upstream=f"127.0.0.1:{up.sockets[0].getsockname()[1]}")
            host, port = proxy.listen.rsplit(":", 1)
            clients = []
            for _ in range(5):  # queued by the kernel; the loop has not accepted them yet
                s = socket.socket(); s.setblocking(False)
                s.connect_ex((host, int(port))); clients.append(s)
            top = max(int(fd) for fd in os.listdir("/proc/self/fd"))
            # No free descriptor left: every accept() now fails with EMFILE.
            resource.setrlimit(resource.RLIMIT_NOFILE, (top + 1, hard))
            fillers = []
            while True:  # fill the holes below the limit too
                try:
                    fillers.append(os.open(os.devnull, os.O_RDONLY))
                except OSError:
                    break
            cpu = time.process_time()
            await asyncio.sleep(1.0)
            spent = time.process_time() - cpu
            for s in clients:
                s.close()
            for fd in fillers:
                os.close(fd)
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
            # No wait: the kernel queues this connect; the listener takes it once its
            # back-off ends, within the 5 s bounds below.
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 5)
            writer.write(b"ok")
            assert await asyncio.wait_for(reader.readexactly(2), 5) == b"ok"
            writer.close()
            print(f"cpu {spent:.3f}")
        up.close()

    asyncio.run(main())
    """
)


def test_accept_backs_off_when_out_of_fds_and_recovers() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    cpu = float(out.stdout.split()[-1])
    assert cpu < 0.2, f"the accept loop spun: {cpu} s of CPU in 1 s"
