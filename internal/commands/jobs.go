package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/engine"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// The kinds of job: the work a command, a click, a mention or a timer
// promised, kept in the store until it is done (engine.Queue runs them).
const (
	jobTriage     = "triage"        // run a vendor triage, open the incident
	jobDeclare    = "declare"       // open an incident
	jobPost       = "post_incident" // post an incident's message; one per incident
	jobPostmortem = "postmortem"    // write and share the postmortem; one per resolve
	jobSeverity   = "severity"
	jobStatus     = "status"
	jobUpdate     = "update"
	jobCommander  = "commander"
	jobReopen     = "reopen"
	jobResolve    = "resolve"
	jobAction     = "action"   // a button
	jobMention    = "mention"  // @bot … in a thread
	jobSubmit     = "submit"   // a modal
	jobReminder   = "reminder" // an update is due
	jobWatch      = "watch"    // post what a check of a watched vendor found, in one channel
	jobFollowup   = "followup" // file a follow-up in the tracker; one per follow-up (followup:<incident>:<source>)

	jobAlert       = "alert"        // an alert came in: open or join its incident
	jobAlertNote   = "alert_note"   // say in the incident's thread what the alert did
	jobAlertTriage = "alert_triage" // the triage of the vendor an alert names, into its incident
)

// The kinds of job of the declare form, the roles and the status page.
const (
	jobDeclareForm       = "declare_form"       // open the incident the declare form described
	jobRole              = "role"               // hand on the comms or scribe role
	jobStatuspageDraft   = "statuspage_draft"   // post the customer status-page draft in the thread
	jobStatuspageEdit    = "statuspage_edit"    // save the draft's edit form
	jobStatuspagePublish = "statuspage_publish" // publish to the company's Statuspage; one per incident and update
	jobInvite            = "channel_invite"     // invite the reporter and the commander to the incident channel
	jobPointer           = "channel_pointer"    // post or update the pointer line where the incident was declared
	jobArchive           = "channel_archive"    // archive a resolved incident's channel
	jobHome              = "home"               // publish the App Home of those who opened it lately
	jobCapture           = "capture"            // add a message from anywhere to a timeline
	jobUncapture         = "uncapture"          // take it away again (the reaction was removed)
)

// jobWhat says, for each kind, what the user would be told could not be done.
var jobWhat = map[string]string{
	jobTriage: "run the triage", jobDeclare: "open the incident", jobPost: "post the incident message",
	jobPostmortem: "write the postmortem", jobSeverity: "change the severity", jobStatus: "change the status",
	jobUpdate: "post the update", jobCommander: "set the commander", jobReopen: "reopen the incident",
	jobResolve: "resolve the incident", jobAction: "apply that", jobMention: "answer the mention",
	jobSubmit: "post the update", jobReminder: "post the reminder",
	jobWatch: "post the vendor's change",
	jobAlert: "take the alert", jobAlertNote: "post the alert", jobAlertTriage: "triage the alert's vendor",
	jobDeclareForm: "open the incident", jobRole: "hand on the role", jobStatuspageDraft: "draft the status page update",
	jobStatuspageEdit: "save the status page draft", jobStatuspagePublish: "publish to the status page",
	jobInvite: "invite people to the incident channel", jobPointer: "point to the incident channel",
	jobArchive: "archive the incident channel", jobHome: "update App Home",
	jobCapture: "add the message to the timeline", jobUncapture: "take the message off the timeline",
	jobFollowup: "file the follow-up",
}

// jobArgs is what a job needs to run, kept as its payload: the request it
// came from, and the few values its kind uses.
type jobArgs struct {
	Cmd      Command            `json:"cmd"`
	Incident uuid.UUID          `json:"incident,omitzero"`
	Text     string             `json:"text,omitempty"`
	Vendor   string             `json:"vendor,omitempty"`
	Severity incident.Severity  `json:"severity,omitempty"`
	Status   incident.Status    `json:"status,omitempty"`
	User     string             `json:"user,omitempty"`
	Action   *Action            `json:"action,omitempty"`
	Sub      *Submission        `json:"submission,omitempty"`
	Open     *incident.Incident `json:"open,omitempty"`    // declare: the incident to open
	Force    bool               `json:"force,omitempty"`   // triage: open the incident whatever the report says
	Watch    *watchArgs         `json:"watch,omitempty"`   // the vendor watch: what a check found
	Alert    *Alert             `json:"alert,omitempty"`   // an alert from /hooks/*
	Opened   bool               `json:"opened,omitempty"`  // alert_note: the alert opened the incident
	Team     string             `json:"team,omitempty"`    // home: the workspace
	Channel  string             `json:"channel,omitempty"` // home: the user's direct-message channel with the app
	Capture  *Capture           `json:"capture,omitempty"`
}

// jobHandlers maps each kind to the method that runs it.
func (s *Service) jobHandlers() map[string]func(context.Context, jobArgs) error {
	return map[string]func(context.Context, jobArgs) error{
		jobTriage: s.runTriage, jobDeclare: s.runDeclare, jobPost: s.runPost, jobPostmortem: s.runPostmortem,
		jobSeverity: func(ctx context.Context, a jobArgs) error {
			return s.setSeverity(ctx, a.Incident, a.Cmd.UserID, a.Severity)
		},
		jobStatus: func(ctx context.Context, a jobArgs) error {
			return s.setStatus(ctx, a.Incident, a.Cmd.UserID, a.Status)
		},
		jobUpdate: func(ctx context.Context, a jobArgs) error {
			return s.postUpdate(ctx, a.Incident, a.Cmd.UserID, a.Text)
		},
		jobCommander: s.runCommander, jobReopen: s.runReopen,
		jobResolve: func(ctx context.Context, a jobArgs) error {
			return s.resolve(ctx, a.Cmd, a.Incident, a.Text)
		},
		jobAction: s.runAction, jobMention: s.runMention, jobSubmit: s.runSubmit, jobReminder: s.runReminder,
		jobWatch: s.runWatch,
		jobAlert: s.runAlert, jobAlertNote: s.runAlertNote, jobAlertTriage: s.runAlertTriage,
		jobFollowup:    s.runFollowup,
		jobDeclareForm: s.runDeclareForm, jobRole: s.runRole, jobStatuspageDraft: s.runStatuspageDraft,
		jobStatuspageEdit: s.runStatuspageEdit, jobStatuspagePublish: s.runStatuspagePublish,
		jobInvite: s.runInvite, jobPointer: s.runPointer, jobArchive: s.runArchive, jobHome: s.runHome,
		jobCapture: s.runCapture, jobUncapture: s.runUncapture,
	}
}

// registerJobs tells the queue how to run each kind of job.
func (s *Service) registerJobs() {
	for kind, h := range s.jobHandlers() {
		s.Jobs.Handle(kind, func(ctx context.Context, j *incident.Job) error {
			var a jobArgs
			if err := json.Unmarshal(j.Payload, &a); err != nil {
				return engine.Permanent(fmt.Errorf("decode the %s job: %w", kind, err))
			}
			return s.settle(ctx, kind, a, h(ctx, a))
		})
	}
}

// settle turns a job's error into its outcome: a problem the user can act
// on (not found, not allowed, invalid) is told to them and ends the job;
// anything else (Slack or the store failing) is tried again later.
func (s *Service) settle(ctx context.Context, kind string, a jobArgs, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return err // cut short: the queue gives the job back
	}
	if incident.KindOf(err) != incident.Internal {
		s.tell(ctx, a.Cmd, s.userError(err, jobWhat[kind]))
		return nil
	}
	return err
}

// jobFailed tells the user that work the bot acknowledged could not be done
// after every attempt.
func (s *Service) jobFailed(ctx context.Context, j *incident.Job, err error) {
	var a jobArgs
	if json.Unmarshal(j.Payload, &a) != nil {
		return
	}
	if j.Kind == jobFollowup {
		s.followupGaveUp(ctx, a, err) // told in the thread, for everyone
		return
	}
	if j.Kind == jobStatuspagePublish {
		s.publishFailed(ctx, a, err)
	}
	s.tell(ctx, a.Cmd, s.userError(err, jobWhat[j.Kind]))
}

// later promises work for after the ack: it is a job in the store before
// this returns, keyed by the delivery so that Slack's retry adds nothing.
// The error is what to answer instead of the promise.
func (s *Service) later(ctx context.Context, kind string, a jobArgs) error {
	return s.enqueue(ctx, kind, a.Cmd.deliveryKey(), a, s.Jobs.Enqueue)
}

// then queues the next step of work already accepted (posting the message
// of an incident just opened): it is never turned away as busy, and key
// makes it happen once whoever asks for it.
func (s *Service) then(ctx context.Context, kind, key string, a jobArgs) error {
	return s.enqueue(ctx, kind, key, a, s.Jobs.Add)
}

// thenAt is then, not to be run before at.
func (s *Service) thenAt(ctx context.Context, kind, key string, at time.Time, a jobArgs) error {
	return s.enqueue(ctx, kind, key, a, func(ctx context.Context, j *incident.Job) (bool, error) {
		j.RunAt = at
		return s.Jobs.Add(ctx, j)
	})
}

func (s *Service) enqueue(ctx context.Context, kind, key string, a jobArgs,
	add func(context.Context, *incident.Job) (bool, error)) error {
	payload, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode the %s job: %w", kind, err)
	}
	if key != "" {
		key = kind + ":" + key
	}
	_, err = add(ctx, &incident.Job{Kind: kind, Key: key, Payload: payload})
	return err
}

// refuse is the answer when work could not be accepted.
func (s *Service) refuse(err error) messages.Message {
	if errors.Is(err, engine.ErrBusy) {
		return notice(":hourglass_flowing_sand: The bot has more work queued than it can take on right now, so it did not accept this. Try again in a minute.")
	}
	return notice(s.userError(err, "accept the request"))
}

// deliveryKey identifies the request across Slack's redeliveries: the
// trigger id of a slash command or a click, the event id of a mention.
func (c Command) deliveryKey() string {
	if c.DeliveryID != "" {
		return c.DeliveryID
	}
	return c.TriggerID
}
