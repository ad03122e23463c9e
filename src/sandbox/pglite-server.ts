import type { PGlite } from "@electric-sql/pglite";

/**
 * PGlite served over the Postgres wire protocol on loopback, so that the
 * sandbox's app and every other bookflow process can share the embedded
 * database. PGlite has ONE session; pglite-socket multiplexes client
 * connections onto it message by message and pins a connection only while a
 * transaction is open. That lets two connections' extended-protocol pipelines
 * (Parse/Bind/Execute … Sync) interleave on the one session, which mixes their
 * unnamed statements and portals (seen as hung or wrong queries under
 * concurrency). Here the queue is changed so a connection also stays pinned
 * until its pipeline ends (Sync or a simple Query), making every pipeline
 * atomic on the shared session.
 */

interface QueueItem {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(err: unknown): void;
  onData(data: Uint8Array): void;
}

interface QueryQueue {
  queue: QueueItem[];
  processing: boolean;
  lastHandlerId: number | null;
  db: PGlite;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'

function endsPipeline(message: Uint8Array): boolean {
  // The startup packet has no type byte: <int32 length><int32 protocol 196608>.
  if (message.length >= 8) {
    const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
    if (view.getInt32(4) === 196608 && view.getInt32(0) === message.length) return true;
  }
  const type = message[0];
  return type === SYNC || type === QUERY || type === TERMINATE;
}

function patchQueue(queue: QueryQueue): void {
  let pinned: number | null = null;
  queue.processQueue = async function processQueue(this: QueryQueue) {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        let index = 0;
        if (pinned !== null) {
          index = this.queue.findIndex((q) => q.handlerId === pinned);
          if (index === -1) break; // wait for the pinned connection's next message
        }
        const item = this.queue.splice(index, 1)[0]!;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (err) {
          pinned = null;
          item.reject(err);
          continue;
        }
        this.lastHandlerId = item.handlerId;
        pinned = this.db.isInTransaction() || !endsPipeline(item.message) ? item.handlerId : null;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };
  const clear = queue.clearQueueForHandler.bind(queue);
  queue.clearQueueForHandler = (handlerId: number) => {
    clear(handlerId);
    if (pinned === handlerId) {
      pinned = null;
      // A pipeline cut short leaves the session mid-statement: reset it.
      void queue.db.exec("ROLLBACK").catch(() => {}).finally(() => void queue.processQueue());
    }
  };
}

export interface ServedPGlite {
  url: string;
  stop(): Promise<void>;
}

export async function servePGlite(pglite: PGlite, options: { maxConnections?: number } = {}): Promise<ServedPGlite> {
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const server = new PGLiteSocketServer({ db: pglite, host: "127.0.0.1", port: 0, maxConnections: options.maxConnections ?? 64 });
  patchQueue((server as unknown as { queryQueue: QueryQueue }).queryQueue);
  await server.start();
  return {
    url: `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    stop: () => server.stop(),
  };
}
