from urdu_genre_app.cli import main

raise SystemExit(main())
