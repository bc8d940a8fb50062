// The planners' page: a sortable table, and scenario editing on the folium map (whose script,
// a classic one loaded before this module, defines the map as a global named in page-config).
import { $, pageConfig } from "../common.js";
import { setupScenario } from "./scenario.js";
import { makeSortable } from "./table.js";

const table = $("measures-table");
if (table) makeSortable(table);

const map = window[pageConfig().map];
if ($("scenario-tools") && map) setupScenario(map);
