// "Share of the teacher's gain": how much of what the teacher gains over a uniformly random policy a smaller
// policy keeps. 1 is all of it, 0 is no better than random; it can exceed 1 or go below 0.

/**
 * (model − random) / (teacher − random), or null when the teacher is no better than random (the share is
 * undefined then; callers say what that means for them).
 */
export function shareOfTeacherGain(model: number, teacher: number, random: number): number | null {
  return teacher <= random ? null : (model - random) / (teacher - random);
}
