/**
 * The User Timing marks a lab view leaves as it opens (`performance.mark`), so the bench can say where the time
 * to interactive went: building the world (setup and prelude), replaying a `?step=` link's solution steps, and
 * what is left (loading the code before, rendering after).
 */
export const LAB_MARKS = {
  /** The lab view starts building its world (its code has loaded and it has rendered once). */
  begin: 'dfl:lab-begin',
  /** The world is built and its prelude replayed. */
  built: 'dfl:lab-built',
  /** The link's solution steps are replayed. */
  replayed: 'dfl:lab-replayed',
} as const;
