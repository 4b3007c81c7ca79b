// bin/run.js loads oclif through this entry so that it and every command share one bundled copy of it.
export { flush, handle, run } from '@oclif/core';
