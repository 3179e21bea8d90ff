/** Which users the teacher augments: the sparsest share of them, as evaluate's segment does. */
export { sparsestUsers as teacherUsers } from '../eval/sparsest-users.ts';
