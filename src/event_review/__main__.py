from event_review.cli import main

main()
