// Starts GOV.UK Frontend's components (error summary focus, details, etc.): no inline script.
import { initAll } from "./govuk/govuk-frontend.min.js";

initAll();
