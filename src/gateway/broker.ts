import { createServer, type Server } from 'node:net';
import { BleError } from '../core/index.js';

/** A running embedded broker. */
export interface EmbeddedBroker {
  /** 'mqtt://host:port' to give MQTT clients. */
  url: string;
  /** The TCP port it listens on (the one the OS chose when 0 was asked for). */
  port: number;
  /** Stops the broker and its listening socket; resolves once the socket is closed. */
  close(): Promise<void>;
}

/**
 * Starts aedes on host:port so that one machine works with no broker installed. aedes speaks
 * MQTT 3.1.1 (not 5): the gateway then connects with 3.1.1. Loaded only when used.
 */
export async function startEmbeddedBroker(
  host = '127.0.0.1',
  port = 1883,
): Promise<EmbeddedBroker> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) =>
      reject(
        new BleError(
          `embedded MQTT broker cannot listen on ${host}:${port}: ${e.message}`,
          'ERR_BLE_GATEWAY',
          { cause: e },
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `mqtt://${host}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        broker.close();
      }),
  };
}
