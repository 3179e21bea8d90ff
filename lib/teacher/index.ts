/** Teacher-guided augmentation (the `teacher` stage's domain code); see propose.ts. */
export { proposePseudoPositives } from './propose.ts';
export type { PseudoPositives, TeacherModel, TeacherOptions } from './propose.ts';
export { headItems } from './tail.ts';
export { teacherUsers } from './users.ts';
export { keptEntries, keptRanks, latestRowsLeftOut, teacherOneStepBack } from './one-step-back.ts';
export type { MaskableTeacher } from './one-step-back.ts';
