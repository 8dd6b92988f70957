// Changing Signal groups from Matrix: access rules checked first, the change made as a linked
// member's account, shown in the portal and told to the members; room state, members and power
// levels of group portals mapped to group changes; leaving a group after a confirmation.
export { accessRefusal, type OwnAccount } from "./group-access.js";
export {
  GroupEditor,
  type GroupEditHooks,
  type GroupEditOutcome,
  type GroupEditorOptions,
  type PlanGroupEdit,
} from "./group-editor.js";
export {
  GROUP_STATE_EVENTS,
  GroupChangesFromMatrix,
  type GroupChangesFromMatrixOptions,
} from "./group-changes-from-matrix.js";
export { LeaveConfirmations, type LeaveConfirmationsOptions } from "./leave-confirmations.js";
