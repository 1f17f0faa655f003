// Drives `chaoslab proxy serve` with toxiproxy-node-client and checks each step by
// traffic through the proxy. Usage: node compat.cjs <api url> <echo port>.
// Prints one JSON report on stdout; the Python test asserts on it.
"use strict";
const net = require("node:net");
const { Toxiproxy } = require("toxiproxy-node-client");

const [apiUrl, echoPort] = process.argv.slice(2);
const upstream = `127.0.0.1:${echoPort}`;
const portOf = (listen) => Number(listen.split(":").pop());

// Send `payload`, collect what comes back until `want` bytes or the peer closes.
function exchange(port, payload, want) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const chunks = [];
    let got = 0;
    let done = false;
    const finish = (outcome) => {
      if (done) return;
      done = true;
      socket.destroy();
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      resolve({ outcome, bytes: Buffer.concat(chunks).toString(), seconds });
    };
    const socket = net.connect({ host: "127.0.0.1", port }, () => socket.write(payload));
    socket.setTimeout(5000, () => finish("timeout"));
    socket.on("data", (data) => {
      chunks.push(data);
      got += data.length;
      if (got >= want) finish("echoed");
    });
    socket.on("end", () => finish("closed"));
    socket.on("error", (err) => finish(err.code || "error"));
  });
}

async function main() {
  const report = {};
  const tp = new Toxiproxy(apiUrl);
  report.version = await tp.getVersion();

  const proxy = await tp.createProxy({ name: "node_echo", listen: "127.0.0.1:0", upstream });
  const port = portOf(proxy.listen);
  report.plain = await exchange(port, "hello", 5);

  const toxic = await proxy.addToxic({
    name: "lat", type: "latency", stream: "downstream", toxicity: 1,
    attributes: { latency: 200, jitter: 0 },
  });
  report.toxic = toxic.toJson();
  report.latency200 = await exchange(port, "hello", 5);

  const fetched = await proxy.getToxic("lat");
  const updated = await fetched.update({
    name: "lat", type: "latency", stream: "downstream", toxicity: 1,
    attributes: { latency: 300, jitter: 0 },
  });
  report.updated = updated.toJson();
  report.latency300 = await exchange(port, "hello", 5);

  await updated.remove();
  report.afterRemove = await exchange(port, "hello", 5);

  report.names = Object.keys(await tp.getAll()).sort();

  const disabled = await proxy.update({ enabled: false, listen: proxy.listen, upstream });
  report.disabledFlag = disabled.enabled;
  report.disabled = await exchange(port, "hello", 5);
  await proxy.update({ enabled: true, listen: proxy.listen, upstream });
  report.enabled = await exchange(port, "hello", 5);

  await proxy.addToxic({
    name: "lim", type: "limit_data", stream: "downstream", toxicity: 1, attributes: { bytes: 4 },
  });
  report.limited = await exchange(port, "hello world", 11);

  await tp.reset();
  report.afterReset = await exchange(port, "hello", 5);
  const listed = await fetch(`${apiUrl}/proxies/node_echo/toxics`);
  report.toxicsAfterReset = (await listed.json()).length;

  const populated = await tp.populate([
    { name: "node_pop", listen: "127.0.0.1:0", upstream },
  ]);
  report.populated = Object.keys(populated);
  report.populatedTraffic = await exchange(portOf(populated.node_pop.listen), "pop", 3);
  report.populateEmpty = Object.keys(await tp.populate([]));

  await proxy.remove();
  await populated.node_pop.remove();
  report.deleted = await exchange(port, "hello", 5);
  try {
    await tp.get("node_echo");
    report.getDeleted = "found";
  } catch (err) {
    report.getDeleted = err.constructor.name;
  }
  process.stdout.write(JSON.stringify(report));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
