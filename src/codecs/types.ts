/** What the inbound side of every codec writes: the parts of an answer, then its report. */
import type { StreamPart } from "../core/parts.js";
import type { SlopguardReport } from "../mitigation/report.js";
import type { ApiError } from "../server/errors.js";

/** The report, after the answer's own parts: every stream ends with one. */
export interface ReportPart {
  type: "report";
  report: SlopguardReport;
}
export type OutPart = StreamPart | ReportPart;

/** How one API writes a stream. */
export interface StreamWriter {
  /** Frames (each a complete `event:`/`data:` block ending in a blank line) for one part. */
  frames(part: OutPart): string[];
  /** Frames that close a complete stream (chat's `data: [DONE]`). */
  end(): string[];
  /** Frames for a failure after the headers went out; the stream then ends without `end()`. */
  error(err: ApiError): string[];
}
