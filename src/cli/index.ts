import { main } from './main.js';
import { installSignalCleanup } from '../util/temp-files.js';

// A reader that stops early (`qdistill --help | head`) closes the pipe: that ends the output, it is not a bug.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

// Ctrl-C or a SIGTERM still removes the temp files of the run (kill -9 leaves them to the next run's sweep).
installSignalCleanup();
process.exitCode = await main(process.argv.slice(2));
