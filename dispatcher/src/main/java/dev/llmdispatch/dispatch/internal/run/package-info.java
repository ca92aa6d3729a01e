/** What a job's run needs beside the dispatcher: how its outcome is stored for the deliveries that come after. */
package dev.llmdispatch.dispatch.internal.run;
