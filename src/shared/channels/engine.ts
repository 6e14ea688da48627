// Container engine status (engine:status): declared by the engine work (issue 17 item 1).
export const ENGINE_CHANNELS = {};
