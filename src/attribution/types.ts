/** The vocabulary of attribution: touches, windows, credits and the model names. */

export { DEFAULT_MODEL, isModelName, MODELS, type ModelName } from "../domain/models.js";

/** A click or impression of one identity graph, as the store hands it to attribution. */
export interface Touch {
  id: string;
  kind: "click" | "impression";
  /** When the click or impression happened, ms since the epoch. */
  time: number;
  /** Arrival order in the store; breaks ties between touches with the same `time`. */
  seq: number;
  platform: string;
  campaign: string | null;
  ad: string | null;
}

/** A conversion action's look-back windows, in days (fractions allowed). */
export interface Windows {
  clickWindowDays: number;
  viewWindowDays: number;
}

export interface Credit {
  touch: Touch;
  /** This touch's share of the conversion, in (0, 1]; a conversion's credits sum to 1. */
  credit: number;
}
