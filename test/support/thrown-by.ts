/** What `run` throws, for assertions on an error's class and `cause`; fails the test when nothing is thrown. */
export function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
