// Errors the operating system gives for a path (a missing file, a full disk, a read-only mount, no
// permission) are about the user's machine, not bugs: the CLI prints them as one line and exits 2.

/** The error codes that say something about the user's files or disk rather than about qdistill. */
const MESSAGES: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder, not a file',
  EEXIST: 'already exists',
  ENOTEMPTY: 'folder is not empty',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many symbolic links in the path',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files on the system',
  EIO: 'input/output error from the device',
  EXDEV: 'cannot move a file across file systems',
  EBUSY: 'file or device is busy',
  ETXTBSY: 'file is busy',
};

interface SystemError {
  code?: unknown;
  path?: unknown;
  dest?: unknown;
  syscall?: unknown;
}

/** The one-line description of a filesystem error (without its path), or undefined if `error` is not one. */
export function fileSystemErrorMessage(error: unknown): string | undefined {
  const code = (error as SystemError | null)?.code;
  return typeof code === 'string' ? MESSAGES[code] : undefined;
}

/** The path a filesystem error names (for a rename, the destination), if any. */
export function fileSystemErrorPath(error: unknown): string | undefined {
  const e = error as SystemError | null;
  if (typeof e?.dest === 'string' && (e.code === 'EEXIST' || e.code === 'ENOTEMPTY')) return e.dest;
  return typeof e?.path === 'string' ? e.path : undefined;
}
