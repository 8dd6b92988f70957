export { type BackfillSettings, HistoryImporter, type HistoryImporterOptions } from "./history-import.js";
