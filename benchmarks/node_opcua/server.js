// An OPC UA server that is neither smkit's nor asyncua's: `items` Double variables under
// Objects/Bench in namespace urn:smkit:bench (node ids s=v0 .. s=v<items-1>), every one of them
// given a new value every `interval_ms` (default 100), as a PLC's variables change between the
// samples a client asks for at that interval. Prints "ready" once it listens.
//
// Usage: node server.js <port> <items> [interval_ms]
"use strict";
const { OPCUAServer } = require("node-opcua-server");
const { DataType, Variant } = require("node-opcua-variant");

const URI = "urn:smkit:bench";

async function main() {
  const port = Number(process.argv[2]);
  const items = Number(process.argv[3]);
  const interval = Number(process.argv[4] || 100);
  const server = new OPCUAServer({
    port,
    resourcePath: "",
    serverCapabilities: {
      maxSessions: 20,
      maxMonitoredItems: 200000,
      maxMonitoredItemsPerSubscription: 200000,
      maxMonitoredItemsPerCall: 200000,
    },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  const namespace = addressSpace.registerNamespace(URI);
  const folder = namespace.addFolder(addressSpace.rootFolder.objects, { browseName: "Bench" });
  const variables = [];
  for (let i = 0; i < items; i++) {
    variables.push(
      namespace.addVariable({
        componentOf: folder,
        nodeId: `s=v${i}`,
        browseName: `v${i}`,
        dataType: "Double",
        minimumSamplingInterval: interval,
        value: new Variant({ dataType: DataType.Double, value: 0 }),
      })
    );
  }
  await server.start();
  console.log("ready");
  let value = 0;
  setInterval(() => {
    for (const variable of variables) {
      value += 1;
      variable.setValueFromSource(new Variant({ dataType: DataType.Double, value }));
    }
  }, interval);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
