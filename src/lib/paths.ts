/** `path` is `root` or below it (both canonical: absolute, no symbolic links, no `.` or `..`). */
export function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);
}
