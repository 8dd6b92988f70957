// Changing Signal groups from Matrix: access rules checked first, the change made as a linked
// member's account, shown in the portal and told to the members.
export { accessRefusal } from "./group-access.js";
export {
  GroupEditor,
  type GroupEditOutcome,
  type GroupEditorOptions,
  type PlanGroupEdit,
} from "./group-editor.js";
