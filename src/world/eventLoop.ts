/**
 * One turn of the real event loop (not the simulated clock), so in-flight work such as WebCrypto signing and
 * response parsing can finish before the world's driver looks again. Node has setImmediate; a browser gets
 * the same effect from a MessageChannel message (a task, like setImmediate, without timer clamping).
 */
export function nextTurn(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  if (typeof immediate === 'function') return new Promise((resolve) => void immediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
